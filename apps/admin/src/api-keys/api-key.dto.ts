import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { API_KEY_ROLES, type ApiKeyRole } from '@app/persistence';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'billing operators', maxLength: 100 })
  @IsString()
  @MaxLength(100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;

  @ApiProperty({ enum: API_KEY_ROLES, example: 'operator' })
  @IsIn(API_KEY_ROLES)
  role: ApiKeyRole;
}
